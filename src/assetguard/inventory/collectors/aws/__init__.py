"""The ``aws`` collector: boto3, several regions and accounts, AWS Config-shaped items."""
