"""Children found alone or with an unsuitable carer, and young carers (rules 10-11)."""
