"""Collectors: each turns one source (an AWS account, this host, a file) into configuration items."""
