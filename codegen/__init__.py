"""The build-time generator of ``src/lakefs/_generated`` (``make generate``).

Three stages, kept apart so that each can be tested on its own:

1. load the OpenAPI document (``spec.py``) and ``mapping.yaml`` (``mapping.py``) into typed objects;
2. resolve every mapping entry against the spec (``resolve.py``, with ``verify.py``'s checks and
   ``docs.py``'s texts), collecting every problem, each naming its mapping entry and the spec
   operation, into a model of values (``model.py``: each method's parameters, checks, route call
   and result; the routes of ``routes.py``; the typed answers of ``typed.py``);
3. render the model with ``templates/`` (whose macros, ``_macros.j2``, own the code's text) and
   format it with black (``render.py``).
"""
