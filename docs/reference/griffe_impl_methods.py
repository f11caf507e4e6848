"""A griffe extension (mkdocs.yml): the ``impl:`` methods of the generated resources, documented.

The generator binds a hand-written function into its class as the method
(``upload_folder = _folders.upload_folder`` in ``Branch``), so its signature and docstring are
written once, in ``lakefs.lib``. Read statically, such a line is an attribute without a
docstring, which the reference would leave out. This extension replaces each with a method: the
function's signature less its first parameter (the resource, which is ``self``), its docstring,
its return annotation.
"""

from __future__ import annotations

from typing import Any

import griffe


class ImplMethods(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "lakefs":
            return
        generated = pkg.modules.get("_generated")
        if generated is None:
            return
        for module in generated.modules.values():
            for cls in module.classes.values():
                self._bind(module, cls, loader)

    @staticmethod
    def _bind(module: griffe.Module, cls: griffe.Class, loader: griffe.GriffeLoader) -> None:
        for name, member in list(cls.members.items()):
            if member.is_alias or not isinstance(member, griffe.Attribute):
                continue
            value = str(member.value or "")
            head, _, tail = value.partition(".")
            if not tail or "." in tail or head not in module.imports:
                continue
            try:
                target = loader.modules_collection[f"{module.imports[head]}.{tail}"]
            except KeyError:
                continue
            if not isinstance(target, griffe.Function):
                continue
            method = griffe.Function(
                name,
                lineno=target.lineno,
                endlineno=target.endlineno,
                parameters=griffe.Parameters(*list(target.parameters)[1:]),
                returns=target.returns,
                decorators=target.decorators,
                docstring=None,
                parent=cls,
            )
            if target.docstring is not None:
                method.docstring = griffe.Docstring(
                    target.docstring.value,
                    lineno=target.docstring.lineno,
                    endlineno=target.docstring.endlineno,
                    parent=method,
                    parser=target.docstring.parser,
                    parser_options=target.docstring.parser_options,
                )
            cls.set_member(name, method)
