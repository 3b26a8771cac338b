"""Legal aid (法律援助): the means test, the green channel, a lawyer who follows the case."""
