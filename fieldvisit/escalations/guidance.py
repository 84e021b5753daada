"""'What to do' on every escalation (issue 12): plain steps for the practitioner and the team lead,
from the partnership's pathway where it has one (rules 1-3, bodymap_pathways) and otherwise fixed
guidance written here. Plain functions: no Flask, no database."""

# Fixed guidance for each kind of escalation a rule raises. Every kind raised anywhere has an entry
# (tests/test_escalations_what_to_do.py finds the kinds in the rules modules and checks).
WHAT_TO_DO = {
    "bruise_not_independently_mobile": [
        "A bruise on a baby who is not yet moving about on their own needs a professional opinion the same day.",
        "Do not wait for a medical opinion before you make the referral to children's social care.",
        "If you are worried the child is in immediate danger, call the police on 999.",
    ],
    "injury_child_protection_plan": [
        "Tell the child's social worker today, by phone: an email is not enough.",
        "The injury must be seen by a suitably qualified doctor; if it is not, write down why.",
    ],
    "suspect_maltreatment": [
        "Make the referral to children's social care today and write down its reference.",
        "If you are worried the child is in immediate danger, call the police on 999.",
    ],
    "co_sleeping_risk": [
        "Talk with the parents today about safe sleep: the baby on their back, in their own cot or Moses basket, "
        "in the parents' room, never on a sofa or in an armchair with an adult.",
        "Tell the team lead and the baby's health visitor, and write down what was said and agreed.",
    ],
    "child_found_alone": [
        "Do not leave a young child alone: stay, or make sure a suitable adult is with them.",
        "Phone children's social care (the emergency duty team out of hours); "
        "if the child is in immediate danger, call the police on 999.",
        "Write down when you found the child, how long they had been alone and who came back.",
    ],
    "young_carer": [
        "Talk with the child, away from the family if you can, about what caring they do.",
        "Ask the local authority for a young carer's needs assessment (Children Act 1989, section 17ZA).",
    ],
    "was_not_brought_pattern": [
        "Missed appointments are the child's, not only the parent's: ask why the child was not brought.",
        "Talk with the services whose appointments were missed, and decide today whether to refer.",
    ],
}

# For a kind of escalation with no entry above (a new rule not yet described here).
GENERAL = [
    "Read why this was raised, then do each required action below and record what you did.",
    "If you are not sure what to do, ask your team lead or the partnership's safeguarding lead today.",
    "If you are worried a child is in immediate danger, call the police on 999.",
]


def what_to_do(rule, partnership):
    """The 'What to do' text for an escalation of kind `rule`: {"steps": [...], "pathway": [...] or None,
    "deadline_hours": int or None}. The pathway is the partnership's own, when it has one for this rule."""
    pathway = (partnership.get("bodymap_pathways") or {}).get(rule)
    return {"steps": list(WHAT_TO_DO.get(rule, GENERAL)),
            "pathway": list(pathway["actions"]) if pathway else None,
            "deadline_hours": pathway["deadline_hours"] if pathway else None}
