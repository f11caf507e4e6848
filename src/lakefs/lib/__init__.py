"""Hand-written behaviour that generated resource methods delegate to (see codegen/mapping.yaml:
``impl:`` entries). Each function takes the resource as its first argument."""
