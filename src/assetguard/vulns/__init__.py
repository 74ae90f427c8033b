"""Vulnerability scanning: OSV advisory database, ecosystem version ordering, matching, scanning.

Modules: ``versions`` (one exact ordering per ecosystem), ``osv`` (record parsing and validation),
``severity`` (CVSS scoring), ``database`` (import and storage), ``matcher`` (compiled range index),
``scanner`` (assets → findings), ``reports`` (json/sarif/vex output).
"""
