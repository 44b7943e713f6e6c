local r, h = 25, 12           -- radius, height
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, r)))), h, "new")
