"""The synthetic province: a generated Hubei with messy source files and a ground-truth manifest.

Entry point: :func:`policecloud.synth.generate.generate` (command ``policecloud synth``).
"""
