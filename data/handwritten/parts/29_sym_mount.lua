local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, t = 60, 40, 6
local hd, m = 4.5, 6
local holes = {}
for _, x in ipairs{m, w - m} do for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, hd / 2)) end end
Extrude(Sketch(XY, Face(rect(0, 0, w, d), table.unpack(holes))), {sym = t}, "new")
