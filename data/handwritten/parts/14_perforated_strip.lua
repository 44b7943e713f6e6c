local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local len, wid, t = 150, 20, 2
local n, pitch, hd = 7, 20, 4
local holes = {}
local x0 = len / 2 - (n - 1) * pitch / 2
for i = 0, n - 1 do holes[#holes + 1] = Loop(Circle(x0 + i * pitch, wid / 2, hd / 2)) end
Extrude(Sketch(XY, Face(rect(0, 0, len, wid), table.unpack(holes))), t, "new")
