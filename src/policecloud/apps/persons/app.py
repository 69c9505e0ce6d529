"""The person registry (人员信息) as a platform app."""

from __future__ import annotations

from policecloud.apps.persons import routes as persons
from policecloud.apps.persons.queries import FIELDS as PERSON_FIELDS
from policecloud.platform.access import events as ev
from policecloud.platform.registry import App, MenuEntry

APP = App(
    name="persons",
    zh="人员信息",
    en="Person registry",
    routers=[persons.router],
    menu=[MenuEntry("persons", "人员查询", "Person search", "/persons", "persons.read")],
    permissions=["persons.read", "persons.write", "persons.export"],
    audit_events=[
        ev.PersonalDataRead,
        ev.UnmaskedRead,
        ev.PartnerDisclosure,
        ev.DataExported,
        ev.RecordCreated,
        ev.RecordChanged,
        ev.RecordDeleted,
    ],
    shareable={"persons": [f for f in PERSON_FIELDS if f != "id"]},
)
