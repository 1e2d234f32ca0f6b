"""The tables. Every alert to every phone is a Delivery row with an explicit state machine."""

from gateway.models.action import Action, ActionUpdate, AuditEvent
from gateway.models.base import Base, utcnow
from gateway.models.delivery import Delivery
from gateway.models.operator import Operator
from gateway.models.participant import Address, Participant
from gateway.models.tip import Tip

__all__ = [
    "Base", "utcnow", "Participant", "Address", "Action", "ActionUpdate", "AuditEvent", "Delivery",
    "Tip", "Operator",
]
