"""hang_peer.py PORTFILE: a peer that accepts every connection and never
answers a byte (nor closes): what a wedged node or a black-holed load
balancer looks like to its peers. Counts accepted connections in
PORTFILE.conns. Writes its port to PORTFILE once listening."""
import os, socket, sys

portfile = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(tmp, portfile)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # read nothing, answer nothing, close nothing
    with open(portfile + ".conns", "w") as f:
        f.write(str(len(held)))
