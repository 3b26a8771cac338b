"""Arbitration (劳动人事争议仲裁委员会): acceptance, award, final-award determination."""
