"""Help pages: the same for everyone and holding no family data, so they are public."""
from flask import Blueprint, render_template

bp = Blueprint("help", __name__)

# Each topic: its title and template, in the order the index lists them.
TOPICS = {
    "statuses": "What the statuses mean",
    "sync": "How your records reach the central record",
    "no-signal": "Working with no signal",
    "lost-tablet": "If a tablet is lost or stolen",
    "visits": "Recording a visit",
}


@bp.get("/help")
def index():
    return render_template("help/index.html", topics=TOPICS)


def topic(topic):
    return render_template(f"help/{topic.replace('-', '_')}.html", title=TOPICS[topic], topics=TOPICS)


# One fixed address per topic (no /help/<anything>: an unknown topic is simply not found).
for _slug in TOPICS:
    bp.add_url_rule(f"/help/{_slug}", f"topic_{_slug.replace('-', '_')}", topic, defaults={"topic": _slug})
