local od, id, t = 24, 13, 2.5
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, od / 2)), Loop(Circle(0, 0, id / 2)))), t, "new")
