"""The classroom app: the explorer's levers and a simulated year played day by day.

``lab classroom`` serves it (Solara, the ``classroom`` extra); a teacher opens it
in a browser without Jupyter.  :mod:`lab.classroom.year` (the stored run and its
referral trees) and :mod:`lab.classroom.figures` (the stage and cascade pictures)
need no Solara and are tested on their own; :mod:`lab.classroom.app` is the page and
:mod:`lab.classroom.server` starts it.
"""
