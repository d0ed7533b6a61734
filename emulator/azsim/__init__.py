"""azsim: a local HTTPS stand-in for Azure Resource Manager and Entra ID."""

__version__ = "0.1.0"
