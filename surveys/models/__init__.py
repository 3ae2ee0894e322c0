"""The tables of surveys: importing the package registers all."""

from surveys.models import comments, paper, surveys

__all__ = ["comments", "paper", "surveys"]
