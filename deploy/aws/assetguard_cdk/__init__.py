"""The assetguard plan on AWS as CDK v2 stacks (see deploy/aws/README.md)."""
