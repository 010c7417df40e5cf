"""Studies that answer a question end to end with the public API: the flagship study
(flagship.py, docs/flagship.md). Nothing below them imports them."""
