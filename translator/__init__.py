"""Real-time speech translation on Azure AI Voice Live."""

__version__ = "0.1.0"
