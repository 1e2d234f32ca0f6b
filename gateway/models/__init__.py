"""The tables. Every alert to every phone is a Delivery row with an explicit state machine."""

from gateway.models.action import Action, ActionUpdate, AuditEvent
from gateway.models.base import Base, utcnow
from gateway.models.delivery import Delivery
from gateway.models.group import Group, GroupAdministrator, GroupMessage, SupplyRequest
from gateway.models.operator import Operator
from gateway.models.participant import Address, Participant
from gateway.models.recording import Recording
from gateway.models.registration import Registration
from gateway.models.tip import Tip

__all__ = [
    "Base", "utcnow", "Participant", "Address", "Action", "ActionUpdate", "AuditEvent", "Delivery",
    "Tip", "Recording", "Operator", "Registration", "Group", "GroupAdministrator", "SupplyRequest",
    "GroupMessage",
]
