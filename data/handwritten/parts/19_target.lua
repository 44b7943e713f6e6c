local ro, ri, rc, t = 20, 15, 10, 5   -- ring outer / inner radius, centre disc radius, thickness
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, ro)), Loop(Circle(0, 0, ri))), Face(Loop(Circle(0, 0, rc)))), t, "new")
