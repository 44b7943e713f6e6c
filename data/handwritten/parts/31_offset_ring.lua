local od, id, t, x = 30, 20, 4, 10
local pl = Plane({x, 0, 0}, {0, 1, 0}, {1, 0, 0})
Extrude(Sketch(pl, Face(Loop(Circle(0, 0, od / 2)), Loop(Circle(0, 0, id / 2)))), t, "new")
