"""File adapters: reading pupil data and writing/reading coefficient workbooks."""
