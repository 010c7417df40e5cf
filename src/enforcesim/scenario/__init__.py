"""The scenario file: the root model composing the stages' sections, the rules that span
sections, and loading. The names other modules imported from the former single module are
available here, so that `from enforcesim.scenario import ...` keeps working."""

from ..schema.draws import LognormalDraw, NormalDraw, TriangularDraw, UniformDraw
from ..schema.paths import get_path, set_path
from ..schema.toml import read_toml, sha256_bytes
from ..stages import CONSTRAINT_NAMES, COST_COMPONENT_NAMES
from ..stages.arrests import CRIMINALITY
from ..stages.cases import ATD_DAYS_IN_PROGRAM
from ..stages.costs import BedTier, Budget, Costs
from ..stages.transport import Escort
from .load import load_scenario, parse_scenario
from .model import CONTRACT_VERSION, MAX_DAYS, MAX_REPLICATES, MAX_SEED, Scenario
from .rules import UNCERTAIN_VALUES, resolve_share_key, uncertain_value_rule

__all__ = [
    "ATD_DAYS_IN_PROGRAM",
    "CONSTRAINT_NAMES",
    "CONTRACT_VERSION",
    "COST_COMPONENT_NAMES",
    "CRIMINALITY",
    "MAX_DAYS",
    "MAX_REPLICATES",
    "MAX_SEED",
    "UNCERTAIN_VALUES",
    "BedTier",
    "Budget",
    "Costs",
    "Escort",
    "LognormalDraw",
    "NormalDraw",
    "Scenario",
    "TriangularDraw",
    "UniformDraw",
    "get_path",
    "load_scenario",
    "parse_scenario",
    "read_toml",
    "resolve_share_key",
    "set_path",
    "sha256_bytes",
    "uncertain_value_rule",
]
