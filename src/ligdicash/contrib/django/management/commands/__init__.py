"""``python manage.py ligdicash_reconcile``."""
