import io, xml.etree.ElementTree as ET
from pathlib import Path
from .test_twiml_valid import *  # noqa

def test_dump(heard, client):
    for name in sorted(p.name for p in (EXAMPLES / "calls").glob("*.txt")):
        run_script(load_script(EXAMPLES / "calls" / name, parse_script), BASE, AUTH_TOKEN, out=io.StringIO(), err=io.StringIO(), client=client)
    sim = phone(client, from_number="+12025550190")
    sim.start(); sim.press("1"); sim.say("apply"); sim.press("2"); sim.say("yes"); sim.say("yes"); sim.say("yes")
    sim.say("six months", confidence=0.3); sim.say("yes"); sim.say("june 3rd", confidence=0.3); sim.say("yes")
    sim.say("nights", confidence=0.3); sim.say("yes"); sim.say("Mary-Jane O'Neil"); 
    seen = set()
    with open("/tmp/c14_said.txt", "w") as f:
        for path, doc in heard:
            for say in ET.fromstring(doc.encode()).iter("Say"):
                if say.text not in seen:
                    seen.add(say.text); f.write(say.text + "\n")
