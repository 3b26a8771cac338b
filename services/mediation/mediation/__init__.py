"""Mediation (调解): people's, union, industry and pre-arbitration stations."""
