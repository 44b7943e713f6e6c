-- Flange: a disc with a bolt circle of n holes, a raised hub and a through bore.
local R, T = 40, 8               -- flange radius and thickness
local hub_r, hub_h = 20, 12      -- hub radius and height above the flange
local bore = 12                  -- bore radius
local n, pcd, hole = 6, 30, 4    -- bolt count, bolt-circle radius, bolt hole radius

local holes = {}
for i = 0, n - 1 do
  local a = 2 * math.pi * i / n
  holes[#holes + 1] = Loop(Circle(pcd * math.cos(a), pcd * math.sin(a), hole))
end
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, R)), table.unpack(holes))), T, "new")

-- the hub stands on the flange's top face
local top = Plane({0, 0, T}, {1, 0, 0}, {0, 0, 1})
Extrude(Sketch(top, Face(Loop(Circle(0, 0, hub_r)))), hub_h, "join")

-- the bore: two-sided, from 1 mm below the part to 1 mm above it
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, bore)))), {T + hub_h + 1, 1}, "cut")
