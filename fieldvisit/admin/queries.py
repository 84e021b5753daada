"""What the admin pages read: the practitioners of the instance with their team and agency (no
family data). Plain functions over `db` (no Flask)."""


def practitioners(db):
    return list(db.query(
        "SELECT p.username, p.display_name, p.role, p.active, t.name AS team_name, a.name AS agency_name"
        " FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = t.agency_id ORDER BY a.name, t.name, p.display_name"))
