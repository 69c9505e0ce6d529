"""Dossiers and tracking (数据追踪): event lookups by key, profiles, timelines, trajectories."""
