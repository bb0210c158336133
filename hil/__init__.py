"""hil: hardware-in-the-loop testing and fleet deployment of in-cabin DMS/OMS models on edge boards."""

__version__ = "0.1.0"
