"""Intake (一站受理): the HR bureau's one-stop centre takes a claim, triages it, hands it on."""
