local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, t = 100, 60, 5        -- plate
local hd, m = 5.5, 8               -- hole diameter, edge distance
local holes = {}
for _, x in ipairs{m, w - m} do
  for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, hd / 2)) end
end
Extrude(Sketch(XY, Face(rect(0, 0, w, d), table.unpack(holes))), t, "new")
