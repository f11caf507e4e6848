"""The build-time generator of ``src/lakefs/_generated`` (``make generate``).

Three stages, kept apart so that each can be tested on its own:

1. load the OpenAPI document (``spec.py``) and ``mapping.yaml`` (``mapping.py``) into typed objects;
2. resolve every mapping entry against the spec (``resolve.py``), collecting every problem, each
   naming its mapping entry and the spec operation;
3. render one module per resource from ``templates/`` and format it with black (``render.py``).
"""
