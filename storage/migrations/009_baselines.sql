-- Format v2: totals a region already knows per organization (teachers, students ...), from extra columns of the
-- directory CSV. A target may divide by them: a share of everyone, not only of those who reported.
CREATE TABLE baselines (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    key             TEXT NOT NULL,
    value           INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (organization_id, key)
);
