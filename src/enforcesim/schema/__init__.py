"""Generic scenario-schema machinery, independent of any pipeline stage: the strict base
model, field metadata, stay distributions and uncertainty draws (tagged unions), dotted
paths, pydantic errors as Problems, and reading TOML."""
