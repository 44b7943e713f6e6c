local function polygon(cx, cy, n, af)
  local rc = af / 2 / math.cos(math.pi / n)
  local c = {}
  for i = 0, n - 1 do
    local a0, a1 = 2 * math.pi * i / n, 2 * math.pi * (i + 1) / n
    c[#c + 1] = Line(cx + rc * math.cos(a0), cy + rc * math.sin(a0), cx + rc * math.cos(a1), cy + rc * math.sin(a1))
  end
  return Loop(table.unpack(c))
end
local af, h, hole = 13, 6.5, 6.8     -- across flats, height, tap-drill hole
Extrude(Sketch(XY, Face(polygon(0, 0, 6, af), Loop(Circle(0, 0, hole / 2)))), h, "new")
