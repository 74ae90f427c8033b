"""Asset inventory: AWS Config-shaped configuration items, history and diffs, and collectors.

Other domains use :class:`assetguard.inventory.service.InventoryService`; they never read the
``inventory_*`` tables directly.
"""
