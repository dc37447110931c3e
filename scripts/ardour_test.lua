-- Genre Meter in Ardour 7 without a display: run by scripts/ardour_test.sh
-- through `ardour7-lua` on the Dummy backend (which runs in real time).
--
--   ardour7-lua scripts/ardour_test.lua create DIR NAME RATE GATE_DB
--     a session with one stereo track, a short recorded take on it (so that
--     Ardour writes its own source, region and playlist entries, which the
--     shell script then points at the test clip), and Genre Meter (VST3)
--     as the track's first processor with Response "slow", Target 3 and the
--     Gate at GATE_DB; saved.
--   ardour7-lua scripts/ardour_test.lua play DIR NAME SECONDS
--     loads it, plays SECONDS from the start, stops, saves.
--   ardour7-lua scripts/ardour_test.lua resave DIR NAME
--     loads it and saves it again without playing.
--
-- Prints "genre-meter-test: ..." lines; exits non-zero on any failure.

local mode, dir, name = arg[1], arg[2], arg[3]

local function fail (message)
	print ("genre-meter-test: FAILED: " .. message)
	os.exit (1)
end

local function save ()
	if Session:save_state ("", false, false, false, false, false) ~= 0 then
		fail ("save_state")
	end
end

-- The Genre Meter processor of the session's only track.
local function genre_meter (track)
	for i = 0, 16 do
		local proc = track:nth_plugin (i)
		if proc:isnil () then break end
		if proc:display_name () == "Genre Meter" then return proc end
	end
	fail ("no Genre Meter on the track")
end

local function the_track ()
	for route in Session:get_routes ():iter () do
		local track = route:to_track ()
		if not track:isnil () then return track end
	end
	fail ("no track in the session")
end

-- Sets the plugin's control labelled `label` (Ardour's numbering counts
-- input controls only) to `value`, in Ardour's units for it.
local function set_param (proc, label, value)
	local plug = proc:to_insert ():plugin (0)
	local ctl = 0
	for j = 0, plug:parameter_count () - 1 do
		if plug:parameter_is_control (j) and plug:parameter_is_input (j) then
			if plug:parameter_label (j) == label then
				if not ARDOUR.LuaAPI.set_processor_param (proc, ctl, value) then
					fail ("cannot set " .. label)
				end
				local now = ARDOUR.LuaAPI.get_processor_param (proc, ctl, true)
				print (string.format ("genre-meter-test: %s = %s", label, tostring (now)))
				return
			end
			ctl = ctl + 1
		end
	end
	fail ("no control " .. label)
end

local function list_params (proc)
	local plug = proc:to_insert ():plugin (0)
	local ctl = 0
	for j = 0, plug:parameter_count () - 1 do
		if plug:parameter_is_control (j) and plug:parameter_is_input (j) then
			local _, _, pd = ARDOUR.LuaAPI.plugin_automation (proc, ctl)
			print (string.format ("genre-meter-test: control %d %q = %s (%s..%s)", ctl,
				plug:parameter_label (j), tostring (ARDOUR.LuaAPI.get_processor_param (proc, ctl, true)),
				tostring (pd.lower), tostring (pd.upper)))
			ctl = ctl + 1
		end
	end
end

AudioEngine:set_backend ("None (Dummy)", "", "")

if mode == "create" then
	local rate, gate_db = tonumber (arg[4]), tonumber (arg[5])
	if not create_session (dir, name, rate) then fail ("create_session") end
	local tracks = Session:new_audio_track (2, 2, nil, 1, name,
		ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
	local track = tracks:front ()
	-- A short take: Ardour writes the source, region and playlist XML.
	track:rec_enable_control ():set_value (1, PBD.GroupControlDisposition.NoGroup)
	Session:maybe_enable_record (false)
	Session:request_roll (ARDOUR.TransportRequestSource.TRS_UI)
	ARDOUR.LuaAPI.usleep (1000000)
	Session:request_stop (false, false, ARDOUR.TransportRequestSource.TRS_UI)
	ARDOUR.LuaAPI.usleep (500000)
	Session:disable_record (false, false)
	track:rec_enable_control ():set_value (0, PBD.GroupControlDisposition.NoGroup)
	-- Plugin discovery happens on the first listing.
	local found = false
	for info in ARDOUR.LuaAPI.list_plugins ():iter () do
		if info.name == "Genre Meter" and info.type == ARDOUR.PluginType.VST3 then found = true end
	end
	if not found then fail ("Ardour does not list Genre Meter (VST3)") end
	local proc = ARDOUR.LuaAPI.new_plugin (Session, "Genre Meter", ARDOUR.PluginType.VST3, "")
	if proc:isnil () then fail ("cannot instantiate Genre Meter") end
	if track:add_processor_by_index (proc, 0, nil, true) ~= 0 then fail ("add_processor") end
	list_params (proc)
	set_param (proc, "Response", 2)
	set_param (proc, "Target", 3)
	set_param (proc, "Gate", gate_db)
	-- The plugin takes parameter changes with its next process call: let
	-- a few run before its state is saved.
	ARDOUR.LuaAPI.usleep (1000000)
	save ()
	close_session ()
	print ("genre-meter-test: created")
elseif mode == "play" then
	local seconds = tonumber (arg[4])
	if not load_session (dir, name) then fail ("load_session") end
	genre_meter (the_track ())
	Session:goto_start (false)
	ARDOUR.LuaAPI.usleep (500000)
	-- Roll until the transport has played `seconds` (the Dummy backend
	-- keeps real time only as well as the machine lets it).
	local target = math.floor (seconds * Session:nominal_sample_rate ())
	Session:request_roll (ARDOUR.TransportRequestSource.TRS_UI)
	local waited = 0
	while Session:transport_sample () < target do
		ARDOUR.LuaAPI.usleep (20000)
		waited = waited + 0.02
		if waited > 4 * seconds + 30 then fail ("the transport does not roll") end
	end
	Session:request_stop (false, false, ARDOUR.TransportRequestSource.TRS_UI)
	-- Let the plugin's worker finish what it has (it runs every 25 ms).
	ARDOUR.LuaAPI.usleep (1000000)
	print (string.format ("genre-meter-test: played %.1f s, stopped at sample %d",
		seconds, Session:transport_sample ()))
	save ()
	close_session ()
elseif mode == "resave" then
	if not load_session (dir, name) then fail ("load_session") end
	genre_meter (the_track ())
	ARDOUR.LuaAPI.usleep (1000000)
	save ()
	close_session ()
	print ("genre-meter-test: saved again")
else
	fail ("unknown mode " .. tostring (mode))
end
