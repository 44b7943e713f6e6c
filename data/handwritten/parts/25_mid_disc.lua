local d, t = 40, 10
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, d / 2)))), {sym = t}, "new")
