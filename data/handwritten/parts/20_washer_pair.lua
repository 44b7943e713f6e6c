local od, id, t, gap = 20, 10, 2, 30
local function washer(x) return Face(Loop(Circle(x, 0, od / 2)), Loop(Circle(x, 0, id / 2))) end
Extrude(Sketch(XY, washer(0), washer(gap)), t, "new")
