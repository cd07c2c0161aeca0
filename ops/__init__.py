"""The operator's tools, one subpackage each, entered through thin scripts in `tools/`.

The subpackages are not named like their scripts (`tools/gotostate.py`): Python puts a script's
own folder first on the import path, so a package `gotostate` would be shadowed by the script.
"""
