"""The query language of the get_all endpoints (SEMANTICS §5.2), compiled to SQL."""

from taskyard.domain.query.compiler import CompiledQuery, compile_query
from taskyard.domain.query.fields import MODEL, PROJECT, TASK, EntitySpec

__all__ = ["MODEL", "PROJECT", "TASK", "CompiledQuery", "EntitySpec", "compile_query"]
