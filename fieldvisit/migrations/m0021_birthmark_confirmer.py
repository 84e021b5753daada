"""Rule 5: who confirmed a birthmark. A Fieldvisit user in a health role (kind 'fieldvisit_user',
with their id), or a registered health practitioner outside Fieldvisit (kind 'outside', their
profession from a fixed list). A mark with no kind, including every mark recorded before this
change, is not confirmed: it stays a possible bruise."""


def upgrade(db):
    existing = {column.name for column in db["body_map_marks"].columns}
    if "birthmark_confirmer_kind" not in existing:
        db.execute("ALTER TABLE body_map_marks ADD COLUMN birthmark_confirmer_kind TEXT"
                   " CHECK (birthmark_confirmer_kind IS NULL OR birthmark_confirmer_kind IN ('fieldvisit_user', 'outside'))")
    if "birthmark_confirmer_id" not in existing:
        db.execute("ALTER TABLE body_map_marks ADD COLUMN birthmark_confirmer_id INTEGER REFERENCES practitioners(id)")
