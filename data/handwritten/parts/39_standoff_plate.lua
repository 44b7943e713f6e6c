local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, t = 90, 60, 3
local bd, bh, hd = 8, 6, 3
local px, py = 70, 40
Extrude(Sketch(XY, Face(rect(0, 0, w, d))), t, "new")
local pos = {}
for _, x in ipairs{(w - px) / 2, (w + px) / 2} do for _, y in ipairs{(d - py) / 2, (d + py) / 2} do pos[#pos + 1] = {x, y} end end
local bosses, holes = {}, {}
for _, p in ipairs(pos) do
  bosses[#bosses + 1] = Face(Loop(Circle(p[1], p[2], bd / 2)))
  holes[#holes + 1] = Face(Loop(Circle(p[1], p[2], hd / 2)))
end
Extrude(Sketch(Plane({0, 0, t}, {1, 0, 0}, {0, 0, 1}), table.unpack(bosses)), bh, "join")
Extrude(Sketch(XY, table.unpack(holes)), t + bh, "cut")
