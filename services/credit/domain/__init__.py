"""The public credit platform's pure domain: no database, no messaging.

Everything here is a function of its arguments (records, today, the rule set), so the
decisions that matter to a subject — their score, their level, whether they are on the red or
the black list, which joint measures a department applies — can be worked out by hand and
tested without a database. ``repository.py`` loads rows, calls these functions and stores the
outcome. The package: ``rules`` (rule data, calendar), ``rating`` (records, score, lists),
``lifecycle`` (status transitions, input checks that need the rules), ``disclosure`` (the
purposes departments are granted for records about people, masking); this module re-exports
their names, so callers import from ``services.credit.domain``.

Choices made here (the issue left them open):

* **Severity** is ``minor < serious < severe``, the words of the shared event contract
  (``*.administrative_penalty_issued``). For a positive record it is the significance of the
  commendation.
* **A credit code's subject type** must agree with the code: character 1 says whether the
  subject is an enterprise or an organisation (``credit_code_subject_type``); a payload that
  claims the other type is rejected naming ``subject_type``. Recording a wrong claim would put
  the subject in the wrong credit database.
* **Counting**: a record counts while its status is ``active`` or ``under_objection`` and
  today is on or before ``valid_until``. A record under objection keeps counting (national
  practice keeps disputed information disclosed until the source department decides) and is
  marked ``under_objection`` in its contribution. ``repaired``, ``revoked`` and ``expired``
  records are kept on file but count for nothing.
* **Rating** decays in steps (rule data: records decided 12 months or more ago weigh half) and
  a list may cap the level (the black list caps it at D whatever the score).
* **List entries** run from the day the rule first holds to ``expires_on``, the last day the
  rule would still hold if nothing else happened (records lapsing or leaving their window).
"""

from __future__ import annotations

from services.credit.domain.disclosure import (
    INDIVIDUAL_RECORD_PURPOSES,
    check_individual_purpose,
    department_view,
    mask_id_number,
    objection_department_view,
)
from services.credit.domain.lifecycle import (
    OBJECTION_TRANSITIONS,
    RECORD_TRANSITIONS,
    RecordInput,
    check_record_rules,
    check_repairable,
    next_objection_status,
    next_record_status,
    optional_text,
    required_text,
    validate_corrections,
    validate_date,
    validate_decision,
    validate_department,
    validate_feedback_action,
    validate_subject_id,
)
from services.credit.domain.rating import (
    Contribution,
    ListDecision,
    Rating,
    RecordFacts,
    decay_factor,
    effective_status,
    evaluate_lists,
    measures_for,
    rate,
    validate_purpose,
)
from services.credit.domain.rules import (
    COUNTING_STATUSES,
    DEFAULT_RULES,
    LEGAL_ENTITY_TYPES,
    RULES_PATH,
    DecayStep,
    ListRule,
    RuleSet,
    Trigger,
    add_months,
    load_rules,
    one_of,
    parse_rules,
    within_months,
)

__all__ = [
    "COUNTING_STATUSES",
    "DEFAULT_RULES",
    "INDIVIDUAL_RECORD_PURPOSES",
    "LEGAL_ENTITY_TYPES",
    "OBJECTION_TRANSITIONS",
    "RECORD_TRANSITIONS",
    "RULES_PATH",
    "Contribution",
    "DecayStep",
    "ListDecision",
    "ListRule",
    "Rating",
    "RecordFacts",
    "RecordInput",
    "RuleSet",
    "Trigger",
    "add_months",
    "check_individual_purpose",
    "check_record_rules",
    "check_repairable",
    "decay_factor",
    "department_view",
    "effective_status",
    "evaluate_lists",
    "load_rules",
    "mask_id_number",
    "measures_for",
    "next_objection_status",
    "next_record_status",
    "objection_department_view",
    "one_of",
    "optional_text",
    "parse_rules",
    "rate",
    "required_text",
    "validate_corrections",
    "validate_date",
    "validate_decision",
    "validate_department",
    "validate_feedback_action",
    "validate_purpose",
    "validate_subject_id",
    "within_months",
]
