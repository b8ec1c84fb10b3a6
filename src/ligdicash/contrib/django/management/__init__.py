"""Django management commands of the ``ligdicash`` app."""
