local d, len = 10, 50
local hole, from_top = 3, 5
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, d / 2)))), len, "new")
Extrude(Sketch(YZ, Face(Loop(Circle(0, len - from_top, hole / 2)))), {sym = d + 2}, "cut")
