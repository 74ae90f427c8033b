"""Build configuration beyond pyproject.toml: the optional native extensions.

``optional=True``: on a machine without a C compiler or Python's headers the build of an
extension fails with a warning and the package installs without it. The rule index then runs
its generated Python visitors (see ``assetguard.events.native_nodes``); the SQLi detector runs
its Python lexer (see ``assetguard.waf.detectors.sqli_folded``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("assetguard.events._native", ["src/assetguard/events/_native.c"], optional=True,
                  extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                      "-Wno-missing-field-initializers"]),
        Extension("assetguard.waf.detectors._native", ["src/assetguard/waf/detectors/_native.c"], optional=True,
                  extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                      "-Wno-missing-field-initializers"]),
    ],
)
